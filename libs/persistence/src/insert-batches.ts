import type { Collection, Document, MongoBulkWriteError, OptionalUnlessRequiredId } from 'mongodb';

interface Waiting<T> {
  doc: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Inserts into one collection, carried together when they come at once: an insert made while fewer than
 * `maxInFlight` commands are under way is sent at once (a lone create waits for nothing); those made while they are
 * wait for the next command, which takes all of them as one unordered insertMany. On FerretDB that is one command
 * and one PostgreSQL transaction for many records instead of one each (FerretDB's cost per command and the commit's
 * were most of a create's database time). Each caller gets its own record's outcome: a refused record (a duplicate
 * `_id`: code 11000) fails its own insert only, as a single insert would.
 */
export class InsertBatches<T extends Document> {
  private readonly waiting: Waiting<T>[] = [];
  private inFlight = 0;
  /** Commands sent and records they carried (diagnostics, tests). */
  readonly sent = { commands: 0, records: 0 };

  constructor(
    private readonly collection: Collection<T>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 100,
  ) {}

  insert(doc: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ doc, resolve, reject });
      if (this.inFlight < this.maxInFlight) this.next();
    });
  }

  private next(): void {
    const batch = this.waiting.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    this.sent.commands++;
    this.sent.records += batch.length;
    void this.send(batch).finally(() => {
      this.inFlight--;
      this.next();
    });
  }

  private async send(batch: Waiting<T>[]): Promise<void> {
    const docs = batch.map((w) => w.doc as OptionalUnlessRequiredId<T>);
    try {
      if (docs.length === 1) await this.collection.insertOne(docs[0]!);
      else await this.collection.insertMany(docs, { ordered: false });
      for (const w of batch) w.resolve();
    } catch (err) {
      const writeErrors = (err as Partial<MongoBulkWriteError>).writeErrors;
      if (docs.length === 1 || !writeErrors) {
        for (const w of batch) w.reject(err);
        return;
      }
      const refused = new Map((Array.isArray(writeErrors) ? writeErrors : [writeErrors]).map((e) => [e.index, e]));
      batch.forEach((w, i) => {
        const e = refused.get(i);
        if (e) w.reject(Object.assign(new Error(e.errmsg ?? `insert refused (code ${e.code})`), { code: e.code }));
        else w.resolve();
      });
    }
  }
}
