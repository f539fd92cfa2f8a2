import { SetMetadata, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * Who may call a route. Every route needs a merchant's API key unless its handler or controller says otherwise:
 * a route added without a thought is closed, not open.
 */
export type RouteAccess = 'merchant' | 'operator' | 'public';

const routeAccessKey = 'auth:route-access';

/** Anyone may call the route (health probes, metrics scrapes): no credential is asked for or counted. */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(routeAccessKey, 'public');

/** The operator's route: `X-Admin-Token` instead of a merchant's key, and no merchant scope. */
export const Operator = (): ClassDecorator & MethodDecorator => SetMetadata(routeAccessKey, 'operator');

// Reflector holds no state; one for the whole process serves every application in it.
const reflector = new Reflector();

// Per controller, then per handler: an inherited handler is one function shared by controllers that may differ.
const accessByController = new WeakMap<object, WeakMap<object, RouteAccess>>();

/** The access a handler declares, else its controller, else `merchant`; read once per route, then remembered. */
export function routeAccessOf(controller: object, handler: object): RouteAccess {
  let byHandler = accessByController.get(controller);
  if (!byHandler) {
    byHandler = new WeakMap();
    accessByController.set(controller, byHandler);
  }
  let access = byHandler.get(handler);
  if (access === undefined) {
    access =
      reflector.getAllAndOverride<RouteAccess | undefined>(routeAccessKey, [handler, controller] as Type<unknown>[]) ??
      'merchant';
    byHandler.set(handler, access);
  }
  return access;
}
