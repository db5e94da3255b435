export { dashboardRoutes, type DashboardOptions } from './routes.ts';
export { buildDashboardBundle, dashboardBundle } from './bundle.ts';
