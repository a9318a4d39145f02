import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { TaskRepository } from './task.repository.js';
import { TaskDoc, TaskSchema } from './task.schema.js';

@Module({
  imports: [MongooseModule.forFeature([{ name: TaskDoc.name, schema: TaskSchema }])],
  providers: [TaskRepository],
  exports: [TaskRepository],
})
export class TasksPersistenceModule {}
