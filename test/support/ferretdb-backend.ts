import type { Connection } from 'mongoose';

/** Whether the test's database is FerretDB (not a mongod), asked of the server itself. */
export async function isFerretdb(connection: Connection): Promise<boolean> {
  return Boolean((await connection.db!.admin().command({ buildInfo: 1 })).ferretdbVersion);
}

/** Whether it is FerretDB on a PostgreSQL database the test knows (companion indexes, census, revision guards). */
export async function isFerretdbOnPostgres(connection: Connection, postgresUrl: string | undefined): Promise<boolean> {
  return Boolean(postgresUrl) && (await isFerretdb(connection));
}
