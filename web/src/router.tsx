import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from 'react';

/*
 * Two pages need no router library: the path is the state, pushState changes it, and the server
 * answers every dashboard path with index.html so a reload or a shared link works.
 */

const EVENT = 'refit:navigate';

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
  window.scrollTo(0, 0);
}

/** The current path, updated on navigation and on the browser's back and forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return path;
}

/** What a path shows. */
export type Route = { page: 'overview' } | { page: 'model'; modelId: string } | { page: 'not-found'; path: string };

export function matchRoute(path: string): Route {
  if (path === '/' || path === '') return { page: 'overview' };
  const m = /^\/models\/([^/]+)\/?$/.exec(path);
  if (m) {
    try {
      return { page: 'model', modelId: decodeURIComponent(m[1]) };
    } catch {
      return { page: 'not-found', path };
    }
  }
  return { page: 'not-found', path };
}

export function modelPath(id: string): string {
  return `/models/${encodeURIComponent(id)}`;
}

/** An ordinary link that navigates in place (a modified click still opens a new tab). */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={click} {...rest} />;
}
