import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { notFound } from '@glimpse/domain';
import { CONSOLE_CSS } from './console-style.js';

/** The browser modules, next to this file in the build (client/*.js, compiled as they are). */
const CLIENT_DIR = join(import.meta.dirname, 'client');

/** The console's style sheet and scripts (open to anyone: they hold no data). */
@Controller('console/assets')
export class AssetsController {
  @Get(':file')
  async asset(@Param('file') file: string, @Res() res: Response): Promise<void> {
    res.set({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    if (file === 'console.css') {
      res.type('css').send(CONSOLE_CSS);
      return;
    }
    if (!/^[a-z][a-z-]*\.js$/.test(file)) throw notFound();
    const text = await readFile(join(CLIENT_DIR, file), 'utf8').catch(() => null);
    if (text === null) throw notFound();
    // The build leaves a source-map comment pointing at a file this route does not serve.
    res.type('text/javascript').send(text.replace(/\n\/\/# sourceMappingURL=.*$/m, ''));
  }
}
