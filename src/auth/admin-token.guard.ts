import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { apiErrors } from '../common/errors/api-error';
import { AppConfig } from '../config/app-config';
import { secretsEqual } from './secret-hash';

/** Operator calls (`/v1/admin/*`) carry `X-Admin-Token: <ADMIN_TOKEN>`. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const token = context.switchToHttp().getRequest<FastifyRequest>().headers['x-admin-token'];
    if (typeof token !== 'string' || !secretsEqual(token, this.config.adminToken)) throw apiErrors.adminTokenInvalid();
    return true;
  }
}
