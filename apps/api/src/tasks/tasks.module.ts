import { Module } from '@nestjs/common';
import { TasksPersistenceModule } from '@glimpse/persistence';
import { ImagesModule } from '../images/images.module.js';
import { ImageTasksController, TasksController } from './tasks.controller.js';

@Module({
  imports: [ImagesModule, TasksPersistenceModule],
  controllers: [TasksController, ImageTasksController],
})
export class TasksModule {}
