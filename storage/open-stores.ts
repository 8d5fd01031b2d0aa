/**
 * The stores a server or a command works on: PostgreSQL when given a postgres:// URL (store-postgres.ts
 * and scanner-store-postgres.ts on one pool), else the SQLite file (both stores in it, tables of their own).
 */
import { PostgresDb } from "./postgres-db.ts";
import { PostgresScannerStore } from "./scanner-store-postgres.ts";
import { SqliteScannerStore } from "./scanner-store-sqlite.ts";
import type { ScannerStore } from "./scanner-store.ts";
import { PostgresStore } from "./store-postgres.ts";
import { SqliteStore } from "./store-sqlite.ts";
import type { Store } from "./store.ts";

export interface Stores {
  store: Store;
  scannerStore: ScannerStore;
  /** the database for messages: the file, or the URL without its password */
  where: string;
  kind: "sqlite" | "postgres";
  close(): Promise<void>;
}

export async function openStores(database: string | undefined, sqliteFile: string, options: { poolSize?: number } = {}): Promise<Stores> {
  if (database !== undefined) {
    const db = await PostgresDb.open(database, options);
    return pair(new PostgresStore(db), new PostgresScannerStore(db), db.where, "postgres");
  }
  const store = new SqliteStore(sqliteFile);
  return pair(store, new SqliteScannerStore(sqliteFile), sqliteFile, "sqlite");
}

function pair(store: Store, scannerStore: ScannerStore, where: string, kind: Stores["kind"]): Stores {
  return {
    store,
    scannerStore,
    where,
    kind,
    close: async () => {
      await scannerStore.close();
      await store.close();
    },
  };
}
