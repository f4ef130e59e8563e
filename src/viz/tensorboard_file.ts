/**
 * TensorBoard logs on disk (Deno and Node): a file per run in a log directory,
 * appended to after each epoch so that `tensorboard --logdir DIR` follows the run
 * live. The blog's TensorBoard callback wrote the same tags: `loss`, `val_loss`
 * (and here `penalty`, and `lr` when a callback changes it), with the epoch,
 * counted from 0 as Keras does, as the step.
 *
 * @module
 */

import { appendFile, mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { AutoencoderError } from "../errors.ts";
import { eventFileName, EventWriter } from "./tensorboard.ts";

/** What {@link TensorBoardLog.logEpoch} records (the loop's `EpochLogs` fit). */
export interface EpochScalars {
  /** 0-based epoch: the step. */
  epoch: number;
  /** Training loss. */
  loss: number;
  /** Validation loss. */
  valLoss?: number;
  /** Activity penalty. */
  penalty?: number;
  /** Learning rate in use. */
  learningRate?: number;
}

/** Options of {@link TensorBoardLog.open}. */
export interface TensorBoardLogOptions {
  /** Host name in the file name (default the machine's). */
  host?: string;
  /** Creation time in milliseconds since 1970 (default now). */
  time?: number;
}

/**
 * One event file in a log directory, written as the run goes.
 *
 * @example
 * ```ts ignore
 * import { TensorBoardLog } from "./tensorboard_file.ts";
 * import { renderGrid } from "./grid.ts";
 * const log = await TensorBoardLog.open("logs/conv");
 * await model.fit(train, {
 *   epochs: 50,
 *   validationData: test,
 *   onEpochEnd: async (logs) =>
 *     await log.logEpoch(logs, {
 *       reconstructions: await renderGrid([digits, await model.predict(digits)]),
 *     }),
 * });
 * // then: tensorboard --logdir logs
 * ```
 */
export class TensorBoardLog {
  /** The event file's path. */
  readonly path: string;
  /** The records not yet appended, and the writer of new ones. */
  readonly events: EventWriter;

  private constructor(path: string, events: EventWriter) {
    this.path = path;
    this.events = events;
  }

  /**
   * Creates the directory (with its parents) and a new event file in it, holding
   * the `file_version` record.
   *
   * @param logdir The directory `tensorboard --logdir` is given (or a run below it).
   * @param options Host name and time of the file name.
   * @returns The open log.
   */
  static async open(logdir: string, options: TensorBoardLogOptions = {}): Promise<TensorBoardLog> {
    const time = options.time ?? Date.now();
    const host = (options.host ?? hostname()) || "localhost";
    const path = join(
      logdir,
      eventFileName(host.replaceAll(/[/\\]/g, "_"), time, `.${process.pid}`),
    );
    const log = new TensorBoardLog(path, new EventWriter(time / 1000));
    try {
      await mkdir(logdir, { recursive: true });
    } catch (e) {
      throw new AutoencoderError(
        `Cannot create TensorBoard log directory "${logdir}": check the path and its permissions`,
        { cause: e },
      );
    }
    await log.flush();
    return log;
  }

  /**
   * Records an epoch's scalars (`loss`, `val_loss`, `penalty`, `lr`, those
   * present) and images (e.g. `reconstructions`), then appends them to the file.
   *
   * @param logs The epoch's logs: `epoch` (the step) and its losses.
   * @param images PNG bytes by tag.
   * @returns When the records are on disk.
   */
  async logEpoch(logs: EpochScalars, images: Record<string, Uint8Array> = {}): Promise<void> {
    const wallTime = Date.now() / 1000;
    this.events.scalars(logs.epoch, {
      loss: logs.loss,
      val_loss: logs.valLoss,
      penalty: logs.penalty,
      lr: logs.learningRate,
    }, wallTime);
    for (const [tag, png] of Object.entries(images)) {
      this.events.image(tag, logs.epoch, png, wallTime);
    }
    await this.flush();
  }

  /**
   * Appends the records written since the last flush to the file.
   *
   * @returns When they are on disk.
   */
  async flush(): Promise<void> {
    const bytes = this.events.take();
    if (bytes.length === 0) return;
    try {
      await appendFile(this.path, bytes);
    } catch (e) {
      throw new AutoencoderError(
        `Cannot write TensorBoard log "${this.path}": check the directory and its permissions`,
        { cause: e },
      );
    }
  }
}
