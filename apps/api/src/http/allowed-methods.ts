import type { Request } from 'express';

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/**
 * The methods the app routes for this request's path (for 405 + Allow when the path is known but the method is
 * not), read from Express's own route table so it can never disagree with the routes.
 */
export function allowedMethods(req: Request): string[] {
  const stack = (req.app as unknown as { router?: { stack?: RouteLayer[] } }).router?.stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    try {
      if (!layer.match(req.path)) continue;
    } catch {
      continue;
    }
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') methods.add(m.toUpperCase());
  }
  // v2's answers never name HEAD (Glance's do not); v1's routes with a HEAD of their own do, as Queens did.
  const v1 = req.path.startsWith('/v1/');
  return [...methods].filter((m) => m !== 'HEAD' || v1).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
