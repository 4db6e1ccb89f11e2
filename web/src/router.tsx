import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from 'react';

/*
 * Three pages need no router library: the path is the state, pushState changes it, and the server
 * answers every dashboard path with index.html so a reload or a shared link works. A version is
 * named in the query (`/models/churn/version?v=1.4.0-20261123060000`), not the path: the server
 * takes a last path segment with a dot for a file name and answers 404 for it.
 */

const EVENT = 'refit:navigate';

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
  window.scrollTo(0, 0);
}

/** The current path with its query, updated on navigation and on the browser's back and forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setPath(location.pathname + location.search);
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
export type Route = { page: 'overview' } | { page: 'events' } | { page: 'model'; modelId: string } | { page: 'version'; modelId: string; version: string } | { page: 'not-found'; path: string };

/** The route of a path with its query (`/models/churn`, `/models/churn/version?v=1.2.0-…`). */
export function matchRoute(pathAndQuery: string): Route {
  const q = pathAndQuery.indexOf('?');
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : pathAndQuery.slice(q + 1));
  if (path === '/' || path === '') return { page: 'overview' };
  if (path === '/events' || path === '/events/') return { page: 'events' };
  try {
    const m = /^\/models\/([^/]+)\/?$/.exec(path);
    if (m) return { page: 'model', modelId: decodeURIComponent(m[1]) };
    const v = /^\/models\/([^/]+)\/version\/?$/.exec(path);
    const version = query.get('v');
    if (v && version) return { page: 'version', modelId: decodeURIComponent(v[1]), version };
    // The path form works within the app (a reload of it meets the server's file rule above).
    const p = /^\/models\/([^/]+)\/versions\/([^/]+)\/?$/.exec(path);
    if (p) return { page: 'version', modelId: decodeURIComponent(p[1]), version: decodeURIComponent(p[2]) };
  } catch {
    // A malformed escape: no such page.
  }
  return { page: 'not-found', path };
}

export function modelPath(id: string): string {
  return `/models/${encodeURIComponent(id)}`;
}

/** A version's page. */
export function versionPath(id: string, version: string): string {
  return `/models/${encodeURIComponent(id)}/version?v=${encodeURIComponent(version)}`;
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
