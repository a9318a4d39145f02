import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

/** Credentials a request or response log line could carry: tokens, and the console's session cookies. */
export const LOG_REDACT_PATHS = ['req.headers["x-auth-token"]', 'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'] as const;

/** One pino logger per process: JSON lines on stdout (or pretty-printed for humans). */
export function createLogger(options: { level: string; pretty: boolean; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' },
    transport: options.pretty ? { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } : undefined,
  });
}

/** Lets Nest's own messages go through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
