import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { QueueName } from '@glimpse/contracts';
import { JobProducer } from '@glimpse/queue';
import { ConsoleGuard } from './console-guard.js';

export const QUEUE_BOARD_PATH = '/console/queues';

/**
 * Puts the console's guard in front of every /console path (its forms are read here; the API's JSON parser
 * leaves /console alone), and mounts Bull Board for every BullMQ queue behind it.
 */
export function mountConsole(app: NestExpressApplication): void {
  const guard = app.get(ConsoleGuard);
  app.use('/console', express.urlencoded({ extended: false, limit: '16kb' }), guard.handle);
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  const producer = app.get(JobProducer);
  createBullBoard({
    queues: Object.values(QueueName).map((name) => new BullMQAdapter(producer.queueByName(name))),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Glimpse queues', miscLinks: [{ text: 'Back to the console', url: '/console' }] } },
  });
  app.use(QUEUE_BOARD_PATH, board.getRouter());
}
