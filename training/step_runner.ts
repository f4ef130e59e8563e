/**
 * Runs a training program's train step, batch after batch, on one session: feeds
 * the batch, carries each step's `next.*` outputs in as the next step's inputs,
 * keeps the last state whose losses were read and found finite (to roll back to
 * when training diverges), and frees what it no longer holds. On WebGPU the carried
 * tensors and the losses stay on the device, and losses are read every 32 batches
 * instead of every batch. On the CPU (onnxruntime-node's, or onnxruntime-web's
 * wasm), a model without convolutions runs its batches four to a session call (a
 * graph of four chained updates, `buildTrainStep`'s `steps`) in runs of at least 512
 * updates: the runtime copies every output into a new JavaScript array, and for a
 * dense model the carried state is most of the data a step moves (bench/NOTES.md).
 * Such batches are held (in the runner's buffers, {@link StepRunner.batchBuffers})
 * until four of one size are there; the rest of an epoch run one by one.
 *
 * @module
 */

import { loweringFor } from "../src/lower/lower.ts";
import { AutoencoderError } from "../src/errors.ts";
import type { Runtime, RuntimeTensor, Session, SessionOptions } from "../src/runtime/types.ts";
import type { TrainingProgram } from "./program.ts";
import { nextName, STEP } from "./state.ts";
import { stepName } from "./train_step.ts";

/** With outputs on the device (WebGPU), losses are read back every this many batches. */
const READ_EVERY = 32;

/** Updates per session call on the CPU (or wasm) for a model without convolutions. */
const CHAINED = 4;

/**
 * Full-size updates a run must plan for its batches to be chained: opening the
 * session of chained steps costs about what 500 updates of the deep model save
 * (bench/NOTES.md), so shorter runs are not chained.
 */
const CHAIN_FROM = 512;

/** The carried tensors of one training state, and the number of updates that made it. */
interface Carried {
  step: number;
  tensors: Record<string, RuntimeTensor>;
}

/** The losses of one step, read back. */
export interface StepLosses {
  /** Samples in the batch. */
  n: number;
  /** The training loss. */
  loss: number;
  /** Its regularizers' share (0 without). */
  penalty: number;
}

/** A batch to train on. */
export interface StepBatch {
  /** What the model sees. */
  input: Float32Array;
  /** What it must reproduce, when the program takes a separate target. */
  target?: Float32Array;
  /** The layers' standard-normal draws by input name (see `TrainingProgram.noise`). */
  noise?: ReadonlyMap<string, Float32Array>;
  /** Samples in the batch. */
  n: number;
  /** 1-based batch number in the epoch, for error messages. */
  batch: number;
}

/** A step whose losses are not read yet: the outputs of its run and the names of its losses. */
interface Pending {
  out: Record<string, RuntimeTensor>;
  loss: string;
  penalty: string;
  n: number;
  batch: number;
}

/** A train-step session with the state it carries between steps. */
export class StepRunner {
  /** Updates applied so far (the `step` input of the last run). */
  step: number;
  #feeds: Record<string, RuntimeTensor> = {}; // the carried tensors and the learning rate
  #good!: Carried; // the last state whose losses were read and found finite
  #before!: Carried; // the inputs of the latest run
  #pending: Pending[] = [];
  #held: StepBatch[] = []; // batches waiting for a chained run, in buffers of their own
  #buffers: Float32Array[] = [];
  #chained?: Promise<Session>; // the session of `chain` updates per run, opened on first use

  private constructor(
    readonly program: TrainingProgram,
    readonly runtime: Runtime,
    readonly session: Session,
    step: number,
    readonly options: SessionOptions,
    /** Updates per run of the chained session (1: every batch runs alone). */
    readonly chain: number,
  ) {
    this.step = step;
  }

  /**
   * Opens a session on the program's train step.
   *
   * @param program The program.
   * @param runtime The runtime.
   * @param options Provider and threads.
   * @param values The carried tensors' values by name (a missing or mis-sized one starts at its initial value).
   * @param step Updates applied so far.
   * @param learningRate The learning rate.
   * @param planned Full-size updates the run plans (default 0: batches are not chained).
   * @returns The runner.
   */
  static async open(
    program: TrainingProgram,
    runtime: Runtime,
    options: SessionOptions,
    values: ReadonlyMap<string, Float32Array>,
    step: number,
    learningRate: number,
    planned = 0,
  ): Promise<StepRunner> {
    const opened = {
      ...options,
      deviceOutputs: [...program.carried.map(nextName), ...program.losses],
      layoutTransforms: false,
    };
    const session = await runtime.createSession(
      program.onnx("train", loweringFor(options.provider)),
      opened,
    );
    const dense = !program.trainStep.nodes.some((n) => n.op === "Conv");
    const cpu = options.provider === "cpu" || options.provider === "wasm";
    const chain = cpu && dense && planned >= CHAIN_FROM ? CHAINED : 1;
    const runner = new StepRunner(program, runtime, session, step, opened, chain);
    const carried = new Set(program.carried);
    for (const s of program.states) {
      if (!carried.has(s.name)) continue;
      const size = s.shape.reduce((a, b) => a * b, 1);
      let value = values.get(s.name);
      if (!value || value.length !== size) value = s.initial() as Float32Array;
      runner.#feeds[s.name] = runtime.tensor(value, s.shape);
    }
    runner.learningRate = learningRate;
    runner.#good = runner.#before = runner.#snapshot();
    return runner;
  }

  /**
   * Whether losses are read every batch (host outputs), every few (device outputs),
   * or after each chained run.
   */
  get readEvery(): number {
    return this.session.onDevice ? READ_EVERY : this.chain;
  }

  /** Sets the learning rate of the next steps. */
  set learningRate(rate: number) {
    this.#feeds.lr = this.runtime.tensor(new Float32Array([rate]), []);
  }

  /** Steps whose losses have not been read yet (held batches included). */
  get pending(): number {
    return this.#pending.length + this.#held.length;
  }

  /**
   * Runs one step on a batch, or holds the batch until a chained run has its
   * batches (in the runner's buffers: copied there unless written there, see
   * {@link batchBuffers}); the outputs become the next run's inputs.
   *
   * @param batch The inputs, targets and their count.
   */
  async run(batch: StepBatch): Promise<void> {
    if (this.chain === 1) return await this.#run(this.session, [batch]);
    if (this.#held.length && this.#held[0].n !== batch.n) await this.#runHeld(); // one size per run
    this.#held.push(this.#hold(batch));
    if (this.#held.length < this.chain) return;
    this.#chained ??= this.runtime.createSession(
      this.program.onnx("train", loweringFor(this.options.provider), this.chain),
      this.options,
    );
    await this.#run(await this.#chained, this.#held.splice(0));
  }

  /** Runs `batches.length` chained steps on a session of as many. */
  async #run(session: Session, batches: StepBatch[]): Promise<void> {
    const { runtime, program } = this, steps = batches.length;
    const name = (n: string, k: number) => stepName(n, k, steps);
    const feeds = { ...this.#feeds };
    batches.forEach((batch, k) => {
      const dims = [batch.n, ...program.architecture.inputShape];
      feeds[name("input", k)] = runtime.tensor(batch.input, dims);
      if (program.separateTarget) feeds[name("target", k)] = runtime.tensor(batch.target!, dims);
      for (const { name: noise, shape } of program.noise) {
        feeds[name(noise, k)] = runtime.tensor(batch.noise!.get(noise)!, [batch.n, ...shape]);
      }
    });
    const previous = this.#before;
    this.#before = this.#snapshot();
    feeds[STEP] = runtime.tensor(new Float32Array([this.step + 1]), []);
    const out = await session.run(feeds).catch((e) => {
      this.#before = previous; // nothing moved: the step's inputs are still the feeds
      throw e;
    });
    this.step += steps;
    batches.forEach(({ n, batch }, k) => {
      this.#pending.push({ out, loss: name("loss", k), penalty: name("penalty", k), n, batch });
    });
    for (const c of program.carried) this.#feeds[c] = out[nextName(c)];
    this.#drop(previous);
  }

  /** Runs the held batches, too few for a chained run (the end of an epoch), one by one. */
  async #runHeld(): Promise<void> {
    for (const batch of this.#held.splice(0)) await this.#run(this.session, [batch]);
  }

  /**
   * Buffers to write the next batch into, `size` values each: `target` for the
   * samples and, when the program takes a separate target, `input` for what the
   * model sees. A batch written there is held without a copy until its run.
   *
   * @param size Values per buffer (at least the batch's).
   * @returns The buffers.
   */
  batchBuffers(size: number): { target: Float32Array; input?: Float32Array } {
    const i = 2 * this.#held.length;
    const input = this.program.separateTarget ? this.#buffer(i + 1, size) : undefined;
    return { target: this.#buffer(i, size), input };
  }

  #buffer(i: number, size: number): Float32Array {
    if ((this.#buffers[i]?.length ?? 0) < size) this.#buffers[i] = new Float32Array(size);
    return this.#buffers[i];
  }

  /** The batch in the buffers of its place among the held ones (copied there unless written there). */
  #hold(batch: StepBatch): StepBatch {
    const i = 2 * this.#held.length;
    const place = (data: Float32Array, at: number) => {
      const buffer = this.#buffer(at, data.length);
      if (data.buffer === buffer.buffer && data.byteOffset === buffer.byteOffset) return data;
      const view = buffer.subarray(0, data.length);
      view.set(data);
      return view;
    };
    const target = place(batch.target ?? batch.input, i);
    const input = this.program.separateTarget ? place(batch.input, i + 1) : target;
    return { ...batch, input, target };
  }

  /**
   * Reads the pending losses; all finite, the latest step's inputs become the state
   * to roll back to.
   *
   * @param where Names the epoch in errors, e.g. `epoch 3`.
   * @param batches Batches in the epoch, for errors.
   * @returns The losses, in step order.
   * @throws {AutoencoderError} Of kind `"diverged"` if a loss is not finite.
   */
  async readLosses(where: string, batches: number): Promise<StepLosses[]> {
    await this.#runHeld();
    const read: StepLosses[] = [];
    for (const { out, n, batch, ...names } of this.#pending) {
      const value = async (k: string) => (out[k] ? (await this.runtime.read(out[k]))[0] : 0);
      const [loss, penalty] = [await value(names.loss), await value(names.penalty)];
      for (const [what, v] of [["loss", loss], ["penalty", penalty]] as const) {
        if (Number.isFinite(v)) continue;
        throw new AutoencoderError(
          `the ${what} became ${v} in ${where}, batch ${batch} of ${batches}`,
          {
            kind: "diverged",
          },
        );
      }
      read.push({ n, loss, penalty });
    }
    this.#freePending();
    const old = this.#good;
    this.#good = this.#before;
    this.#drop(old);
    return read;
  }

  /**
   * The latest carried values, read to the host and checked.
   *
   * @param when Ends error messages, e.g. `in epoch 3`.
   * @returns Values by state name.
   * @throws {AutoencoderError} Of kind `"diverged"` naming a value that is not finite.
   */
  latest(when: string): Promise<Map<string, Float32Array>> {
    return this.#finite(this.#feeds, when);
  }

  /**
   * The last state whose losses were read and found finite, if its values are all finite.
   *
   * @returns Its values and step, or `undefined`.
   */
  async lastFinite(): Promise<{ step: number; values: Map<string, Float32Array> } | undefined> {
    const values = await this.#finite(this.#good.tensors, "").catch(() => undefined);
    return values && { step: this.#good.step, values };
  }

  /** Frees the session and every tensor the runner holds on the device. */
  async release(): Promise<void> {
    this.#freePending();
    this.#held = [];
    for (const t of new Set(this.#live())) this.runtime.dispose(t);
    await this.session.release();
    const chained = await this.#chained?.catch(() => undefined);
    await chained?.release();
  }

  #snapshot(): Carried {
    const tensors = Object.fromEntries(this.program.carried.map((k) => [k, this.#feeds[k]]));
    return { step: this.step, tensors };
  }

  #live(): RuntimeTensor[] {
    return [this.#good.tensors, this.#before.tensors, this.#feeds]
      .flatMap((t) => this.program.carried.map((k) => t[k]));
  }

  /** Frees the tensors of a state that no state still holds. */
  #drop(old: Carried): void {
    const live = new Set(this.#live());
    for (const k of this.program.carried) {
      if (!live.has(old.tensors[k])) this.runtime.dispose(old.tensors[k]);
    }
  }

  #freePending(): void {
    for (const { out, loss, penalty } of this.#pending.splice(0)) {
      for (const k of [loss, penalty]) if (out[k]) this.runtime.dispose(out[k]);
    }
  }

  async #finite(
    tensors: Record<string, RuntimeTensor>,
    when: string,
  ): Promise<Map<string, Float32Array>> {
    const roles = new Map(this.program.states.map((s) => [s.name, s.role]));
    const values = new Map<string, Float32Array>();
    for (const name of this.program.carried) {
      const data = (await this.runtime.read(tensors[name])).slice();
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        const what = roles.get(name) === "parameter" ? "weight" : "optimizer state";
        throw new AutoencoderError(`${what} "${name}" became ${data[bad]} ${when}`, {
          kind: "diverged",
        });
      }
      values.set(name, data);
    }
    return values;
  }
}
