import { createStore, useStore } from '../lib/store.ts';

/** Who is signed in: the API key the console acts with, and what the server said about it. */
export interface Session {
  key: string;
  name: string;
  /** The key's role as the server names it (ADMIN, SUBMITTER, VIEWER…). */
  role: string;
  /** Kept in localStorage (this device) rather than sessionStorage (this tab). */
  remember: boolean;
}

export interface SessionState {
  session: Session | null;
  /** Why the last session ended when the user did not end it (shown on the sign-in form). */
  signedOutReason?: string;
}

/** What the signed-in key may do; the server decides, this only hides what would be refused. */
export interface Permissions {
  /** Submit, cancel and retry builds (ADMIN, SUBMITTER). */
  canAct: boolean;
  /** Drain, resume and revoke workers; create and revoke API keys (ADMIN). */
  canAdmin: boolean;
  /** See the list of API keys (ADMIN, VIEWER: a VIEWER reads what an ADMIN reads). */
  canReadKeys: boolean;
}

const STORAGE_KEY = 'free-agent.session';

export const sessionStore = createStore<SessionState>({ session: readStoredSession() });

/**
 * The role's permissions. Any role other than ADMIN and SUBMITTER is read-only, so a role the
 * console does not know yet never shows actions the server would refuse.
 */
export function permissionsOf(role: string): Permissions {
  return {
    canAct: role === 'ADMIN' || role === 'SUBMITTER',
    canAdmin: role === 'ADMIN',
    canReadKeys: role === 'ADMIN' || role === 'VIEWER',
  };
}

/** Starts a session with a key the server accepted, stored for this device or for this tab. */
export function signIn(session: Session): void {
  // A tab's own session wins over the device's (readStoredSession), so the device's key, which
  // other tabs may use, is left alone when signing in for this tab only.
  sessionStorage.removeItem(STORAGE_KEY);
  if (session.remember) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  sessionStore.set({ session });
}

/**
 * Ends the session and forgets its key in this browser (both storages, so other tabs that share
 * the device's key sign out too). `reason` is shown on the sign-in form; none when the user chose it.
 */
export function signOut(reason?: string): void {
  clearStoredSession();
  if (!sessionStore.get().session && !reason) return;
  sessionStore.set({ session: null, signedOutReason: reason });
}

/** The signed-in session and its permissions. Throws outside a signed-in part of the app. */
export function useSession(): Session & Permissions {
  const { session } = useStore(sessionStore);
  if (!session) throw new Error('useSession() needs a signed-in session');
  return { ...session, ...permissionsOf(session.role) };
}

/** The session state, signed in or not (for the sign-in page and the app's root). */
export function useSessionState(): SessionState {
  return useStore(sessionStore);
}

function clearStoredSession() {
  localStorage.removeItem(STORAGE_KEY);
  sessionStorage.removeItem(STORAGE_KEY);
}

/** The session kept for this tab, else for this device; null when none or unreadable. */
function readStoredSession(): Session | null {
  const raw = sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.key === 'string' && typeof value.name === 'string' && typeof value.role === 'string') {
      return { key: value.key, name: value.name, role: value.role, remember: value.remember === true };
    }
  } catch {
    // Unreadable: treated as signed out.
  }
  return null;
}

// Signing out in another tab removes the device's key: a tab using that key signs out too.
window.addEventListener('storage', (event) => {
  if (event.key !== STORAGE_KEY || event.storageArea !== localStorage || event.newValue !== null) return;
  const { session } = sessionStore.get();
  if (session?.remember) sessionStore.set({ session: null, signedOutReason: 'You signed out in another tab.' });
});
