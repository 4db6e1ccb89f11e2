import { useEffect } from 'react';
import { useLiveUpdates } from './live.js';
import { EventsPage } from './pages/events-page.js';
import { ModelPage } from './pages/model-page.js';
import { Overview } from './pages/overview.js';
import { VersionPage } from './pages/version-page.js';
import { Link, matchRoute, usePath } from './router.js';

const LIVE_TEXT = { connecting: 'connecting…', live: 'live', offline: 'offline' } as const;

export function App() {
  const route = matchRoute(usePath());
  const live = useLiveUpdates();
  useEffect(() => {
    document.title = route.page === 'model' ? `${route.modelId} · Refit` : route.page === 'version' ? `${route.version} · ${route.modelId} · Refit` : route.page === 'events' ? 'Event delivery · Refit' : 'Refit';
  }, [route]);
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/" className="brand">
            Refit
          </Link>
          <nav aria-label="Main">
            <Link href="/">Models</Link>
            <Link href="/events">Events</Link>
            <a href="/docs">API docs</a>
          </nav>
          <span className={`live live-${live}`} title="Updates from the server's event stream" data-testid="live-state">
            <span className="dot" aria-hidden="true" />
            {LIVE_TEXT[live]}
          </span>
        </div>
      </header>
      <main className="container">
        {route.page === 'overview' && <Overview />}
        {route.page === 'events' && <EventsPage />}
        {route.page === 'model' && <ModelPage key={route.modelId} modelId={route.modelId} />}
        {route.page === 'version' && <VersionPage key={`${route.modelId}@${route.version}`} modelId={route.modelId} version={route.version} />}
        {route.page === 'not-found' && (
          <div className="state state-empty">
            <h1>Nothing here</h1>
            <p>
              There is no page at <code>{route.path}</code>. <Link href="/">See all models.</Link>
            </p>
          </div>
        )}
      </main>
    </>
  );
}
