import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginCallback } from 'fastify';
import { withoutExternalLinks } from './dashboard-page';

/**
 * Bull Board's Fastify adapter whose page loads nothing from another origin: its HTML is sent without the external
 * `<link>` tags (dashboard-page.ts). The hook is added inside Bull Board's own plugin, so it sees the dashboard's
 * responses only; the page is rendered from the installed index.ejs as before, so its hashed asset names follow
 * every Bull Board release.
 */
export class LocalDashboardAdapter extends FastifyAdapter {
  override registerPlugin(): FastifyPluginCallback {
    const bullBoardPlugin = super.registerPlugin();
    return (fastify, options, done) => {
      fastify.addHook('onSend', async (_request, reply, payload) => {
        const contentType = String(reply.getHeader('content-type') ?? '');
        if (typeof payload !== 'string' || !contentType.startsWith('text/html')) return payload;
        return withoutExternalLinks(payload);
      });
      bullBoardPlugin(fastify, options, done);
    };
  }
}
