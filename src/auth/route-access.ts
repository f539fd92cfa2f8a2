// The route access declarations live in http/ (metrics and health declare theirs without importing auth, which
// depends on rate-limit and through it on metrics); auth enforces them. This alias keeps the older import path.
export { Operator, Public, type RouteAccess, routeAccessOf } from '../http/route-access';
