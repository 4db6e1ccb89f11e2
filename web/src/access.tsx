import { useQueryClient } from '@tanstack/react-query';
import { createContext, type FormEvent, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { api, ApiError, type AuthInfo, onUnauthorized, type Scope, storeKey } from './api.js';

/** What the tab's key may do; on a server without keys, everything. */
export interface Access {
  readonly required: boolean;
  /** The key's name, or null (no key needed, or none sent). */
  readonly name: string | null;
  /** Whether the key may do what needs `scope` (admin may do everything). */
  can(scope: Scope): boolean;
  /** Why it may not, in words, or null when it may. */
  why(scope: Scope): string | null;
  /** Forget the key and ask for one again. */
  signOut(): void;
}

const OPEN: Access = { required: false, name: null, can: () => true, why: () => null, signOut: () => {} };
const AccessContext = createContext<Access>(OPEN);

/** What the tab's key may do. */
export function useAccess(): Access {
  return useContext(AccessContext);
}

function accessOf(info: AuthInfo, signOut: () => void): Access {
  if (!info.required) return { ...OPEN, name: info.key?.name ?? null };
  const scopes = info.key?.scopes ?? [];
  const can = (s: Scope) => scopes.includes('admin') || scopes.includes(s);
  return {
    required: true,
    name: info.key?.name ?? null,
    can,
    why: (s) => (can(s) ? null : `Your key '${info.key?.name ?? ''}' may not do this: it needs the '${s}' scope (it has ${scopes.join(', ') || 'none'}).`),
    signOut,
  };
}

type GateState = { kind: 'checking' } | { kind: 'ask'; message: string | null } | { kind: 'ready'; info: AuthInfo } | { kind: 'failed'; message: string };

/**
 * Asks for an API key when the server requires one, keeps it for the tab (sessionStorage), and
 * gives the pages what it may do. A key the server refuses, now or later (revoked, expired), brings
 * the question back with the server's reason.
 */
export function AccessGate({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [state, setState] = useState<GateState>({ kind: 'checking' });

  const check = useCallback(async () => {
    setState({ kind: 'checking' });
    try {
      const info = await api.auth();
      if (info.required && !info.key) setState({ kind: 'ask', message: null });
      else setState({ kind: 'ready', info });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        storeKey(null);
        setState({ kind: 'ask', message: `That key was not accepted: ${err.problem?.detail ?? err.message}` });
      } else setState({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  }, []);

  useEffect(() => {
    void check();
    onUnauthorized((problem) => {
      storeKey(null);
      client.clear();
      setState({ kind: 'ask', message: `The server no longer accepts the key: ${problem?.detail ?? 'it was refused'}` });
    });
    return () => onUnauthorized(null);
  }, [check, client]);

  const signOut = useCallback(() => {
    storeKey(null);
    client.clear();
    setState({ kind: 'ask', message: null });
  }, [client]);

  if (state.kind === 'checking') return <div className="state">Connecting to Refit…</div>;
  if (state.kind === 'failed') {
    return (
      <div className="state state-error" role="alert">
        <p>The Refit server cannot be reached: {state.message}</p>
        <button type="button" onClick={() => void check()}>
          Try again
        </button>
      </div>
    );
  }
  if (state.kind === 'ask') {
    return (
      <KeyPrompt
        message={state.message}
        onKey={(key) => {
          storeKey(key);
          void check();
        }}
      />
    );
  }
  const access = accessOf(state.info, signOut);
  // Keyed by the key's name: a new key starts the pages (and the event stream) afresh.
  return (
    <AccessContext.Provider value={access} key={access.name ?? 'open'}>
      {children}
    </AccessContext.Provider>
  );
}

function KeyPrompt({ message, onKey }: { message: string | null; onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onKey(value.trim());
  };
  return (
    <main className="container">
      <form className="card key-prompt" onSubmit={submit} data-testid="key-prompt">
        <h1>This Refit server requires an API key</h1>
        <p className="muted">
          Paste a key (<code>refit keys create --name you --scope read</code> makes one). It is kept for this tab only and sent with every request.
        </p>
        <label className="field">
          <span>API key</span>
          <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} placeholder="refit_…" aria-describedby="key-error" autoFocus />
        </label>
        {message && (
          <p id="key-error" className="error-text" role="alert" data-testid="key-error">
            {message}
          </p>
        )}
        <button type="submit" className="primary" disabled={!value.trim()}>
          Use this key
        </button>
      </form>
    </main>
  );
}

/** The key in use, with a way to forget it; nothing on a server without keys. */
export function KeyBadge() {
  const access = useAccess();
  if (!access.required) return null;
  return (
    <span className="key-badge" data-testid="key-badge">
      key: {access.name}{' '}
      <button type="button" className="small-button" onClick={access.signOut}>
        Forget key
      </button>
    </span>
  );
}

