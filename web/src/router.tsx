import { createRootRoute, createRoute, createRouter, lazyRouteComponent, Outlet, redirect } from '@tanstack/react-router';
import { Loading } from './components/Loading.tsx';
import { RouteError } from './pages/RouteError.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { validateBuildsSearch } from './pages/builds/buildsSearch.ts';
import { validateDashboardSearch } from './pages/dashboard/dashboardSearch.ts';
import { validateSignInSearch } from './pages/signIn/signInSearch.ts';
import { validateWebhookSearch } from './pages/webhooks/webhookSearch.ts';
import { sessionStore } from './session/session.ts';
import { AppLayout } from './shell/AppLayout.tsx';

// The route tree, written in code (no router code generation). Each page is its own chunk,
// loaded when its route is first visited (or hovered: defaultPreload 'intent'). A page's URL
// state (filters, selection) is declared here with `validateSearch`, so links are typed.

const rootRoute = createRootRoute({ component: Outlet });

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: 'sign-in',
  validateSearch: validateSignInSearch,
  beforeLoad: ({ search }) => {
    if (sessionStore.get().session) throw redirect({ to: search.redirect ?? '/' });
  },
  component: lazyRouteComponent(() => import('./pages/signIn/SignInPage.tsx'), 'SignInPage'),
});

/** Every page behind sign-in, inside the app shell. */
const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: ({ location }) => {
    if (!sessionStore.get().session) throw redirect({ to: '/sign-in', search: { redirect: location.href } });
  },
  component: AppLayout,
});

const dashboardRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  validateSearch: validateDashboardSearch,
  component: lazyRouteComponent(() => import('./pages/dashboard/DashboardPage.tsx'), 'DashboardPage'),
});

const buildsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'builds',
  validateSearch: validateBuildsSearch,
  component: lazyRouteComponent(() => import('./pages/builds/BuildsPage.tsx'), 'BuildsPage'),
});

const buildRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'builds/$buildId',
  component: lazyRouteComponent(() => import('./pages/build/BuildPage.tsx'), 'BuildPage'),
});

const workersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'workers',
  component: lazyRouteComponent(() => import('./pages/workers/WorkersPage.tsx'), 'WorkersPage'),
});

const workerRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'workers/$workerId',
  component: lazyRouteComponent(() => import('./pages/worker/WorkerPage.tsx'), 'WorkerPage'),
});

const keysRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'keys',
  component: lazyRouteComponent(() => import('./pages/keys/KeysPage.tsx'), 'KeysPage'),
});

const webhooksRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'webhooks',
  component: lazyRouteComponent(() => import('./pages/webhooks/WebhooksPage.tsx'), 'WebhooksPage'),
});

const webhookRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'webhooks/$webhookId',
  validateSearch: validateWebhookSearch,
  component: lazyRouteComponent(() => import('./pages/webhooks/WebhookPage.tsx'), 'WebhookPage'),
});

const submitRoute = createRoute({
  getParentRoute: () => appRoute,
  path: 'submit',
  component: lazyRouteComponent(() => import('./pages/submit/SubmitPage.tsx'), 'SubmitPage'),
});

/** Any other path: "not found" inside the shell (after sign-in, like every page). */
const notFoundRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '$',
  component: NotFoundPage,
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  appRoute.addChildren([
    dashboardRoute,
    buildsRoute,
    buildRoute,
    workersRoute,
    workerRoute,
    keysRoute,
    webhooksRoute,
    webhookRoute,
    submitRoute,
    notFoundRoute,
  ]),
]);

export const router = createRouter({
  routeTree,
  defaultPreload: 'intent',
  defaultPendingComponent: () => <Loading label="Loading the page…" />,
  defaultErrorComponent: RouteError,
  defaultNotFoundComponent: NotFoundPage,
  scrollRestoration: true,
});

// Signing in or out (here, in another tab, or refused by the server) re-runs the guards above.
sessionStore.subscribe(() => void router.invalidate());

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
