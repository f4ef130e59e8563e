/// <reference lib="dom" />
/**
 * The model trained in the page, kept in this browser (IndexedDB) until replaced.
 *
 * @module
 */

/** What is kept of a trained model. */
export interface SavedModel {
  /** The kind trained: `undercomplete` or `conv`. */
  kind: string;
  /** When it was saved (ISO 8601). */
  savedAt: string;
  /** Its training losses per epoch. */
  losses: number[];
  /** ONNX bytes of its parts. */
  onnx: { autoencoder: Uint8Array; encoder: Uint8Array; decoder: Uint8Array };
}

const DB = "autoencoders-onnx-page", STORE = "models", KEY = "trained";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact<T>(mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest<T>) {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = work(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

/** Keeps a trained model in this browser, replacing the one kept before. */
export async function saveModel(model: SavedModel): Promise<void> {
  await transact("readwrite", (s) => s.put(model, KEY));
}

/** The model kept in this browser, if any. */
export async function loadModel(): Promise<SavedModel | undefined> {
  return await transact<SavedModel | undefined>("readonly", (s) => s.get(KEY));
}
