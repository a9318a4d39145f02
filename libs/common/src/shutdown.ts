import type { Logger } from 'pino';

export interface Shutdown {
  /** Registers something to close on shutdown; closers run in reverse order of registration. */
  add(close: () => Promise<void>): void;
}

/**
 * Graceful shutdown on SIGINT/SIGTERM, installed before anything starts (a start-up that waits for a
 * server that is down must still be stoppable). Closers run once; if they have not finished within graceMs
 * (a client waiting for a dead server can wait forever), the process exits anyway.
 */
export function onShutdown(logger: Logger, graceMs = 10_000): Shutdown {
  const closers: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.warn({ graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    (async () => {
      for (const close of closers.reverse()) await close();
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { add: (close) => void closers.push(close) };
}
