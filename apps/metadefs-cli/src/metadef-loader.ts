import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentsOf, type MetadefNamespace, type MetadefRepository, type NamespaceBody } from '@glimpse/persistence';

export interface LoadSummary {
  loaded: string[];
  skipped: string[];
  failed: Array<{ file: string; error: string }>;
}

interface DefinitionFile {
  namespace?: unknown;
  display_name?: string;
  description?: string;
  visibility?: 'public' | 'private';
  protected?: boolean;
  owner?: string;
}

/**
 * Loads metadata definition files in Glance's JSON format (one namespace per *.json file, as in Glance's
 * etc/metadefs, installed by Debian's glance-common under /etc/glance/metadefs), like `glance-manage
 * db_load_metadefs`: a namespace that exists is skipped unless `replace`; owner defaults to "admin"; the
 * resource types the files name are created as protected.
 */
export class MetadefLoader {
  constructor(private readonly repo: MetadefRepository) {}

  async loadDirectory(dir: string, options: { replace?: boolean } = {}): Promise<LoadSummary> {
    const files = (await readdir(dir, { withFileTypes: true })).filter((f) => f.isFile() && f.name.endsWith('.json')).map((f) => f.name).sort();
    if (files.length === 0) throw new Error(`no *.json definition files in ${dir}`);
    const summary: LoadSummary = { loaded: [], skipped: [], failed: [] };
    for (const file of files) {
      try {
        const outcome = await this.loadFile(join(dir, file), options.replace ?? false);
        summary[outcome.loaded ? 'loaded' : 'skipped'].push(outcome.namespace);
      } catch (err) {
        summary.failed.push({ file, error: (err as Error).message });
      }
    }
    return summary;
  }

  async loadFile(path: string, replace: boolean): Promise<{ namespace: string; loaded: boolean }> {
    const doc = JSON.parse(await readFile(path, 'utf8')) as DefinitionFile;
    if (typeof doc !== 'object' || doc === null || typeof doc.namespace !== 'string' || !doc.namespace) {
      throw new Error('not a namespace definition (no "namespace")');
    }
    const name = doc.namespace;
    const existing = await this.repo.getNamespace(name);
    if (existing && !replace) return { namespace: name, loaded: false };
    if (existing) await this.repo.deleteNamespace(existing);
    const now = new Date();
    const contents = contentsOf({ ...doc, namespace: name } as NamespaceBody, now);
    const ns: MetadefNamespace = {
      uid: randomUUID(),
      namespace: name,
      displayName: doc.display_name ?? null,
      description: doc.description ?? null,
      visibility: doc.visibility === 'public' ? 'public' : 'private',
      protected: doc.protected === true,
      owner: doc.owner ?? 'admin',
      createdAt: now,
      updatedAt: null,
    };
    for (const a of contents.filter((c) => c.kind === 'resource_type_association')) await this.repo.ensureResourceType(a.name, true, now);
    if (!(await this.repo.createNamespace(ns))) return { namespace: name, loaded: false };
    const loadedContents = contents.map((c) => ({ ...c, updatedAt: null }));
    if (loadedContents.length && !(await this.repo.addContents(ns.uid, loadedContents))) {
      await this.repo.deleteNamespace(ns);
      throw new Error(`duplicate definitions in namespace ${name}`);
    }
    return { namespace: name, loaded: true };
  }
}
