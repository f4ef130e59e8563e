/**
 * A model's execution provider: the choice resolved once (`"auto"` picks the
 * fastest available here; a provider asked for by name is checked), and written
 * into the session options every session of the model opens with.
 *
 * @module
 */

import { setNchwcBlock } from "./lower/nchwc_conv.ts";
import type { ModelOptions } from "./options.ts";
import { defaultRuntime } from "./runtime/default.ts";
import { chooseProvider, type ChosenProvider } from "./runtime/providers.ts";
import type { ProviderChoice } from "./runtime/types.ts";
import type { RunContext } from "../training/fit.ts";

/** Resolves a model's provider choice once. */
export class ProviderResolver {
  #chosen?: Promise<ChosenProvider>;
  /** What the user asked for. */
  readonly choice: ProviderChoice;
  /** The model's runtime and session options (`provider` is set on resolving). */
  readonly ctx: RunContext;

  /** @param options The model's options: runtime, provider, threads, spinning. */
  constructor(options: ModelOptions) {
    this.choice = options.provider ?? "cpu";
    this.ctx = {
      runtime: options.runtime ?? defaultRuntime(),
      session: { provider: undefined, threads: options.threads, spinning: options.spinning },
    };
  }

  /** The runtime's name and the provider, e.g. `onnxruntime-node 1.30.0 (cpu)`. */
  get backend(): string {
    const provider = this.ctx.session.provider;
    const auto = this.choice === "auto";
    return `${this.ctx.runtime.name} (${
      provider ? `${provider}${auto ? ', picked by "auto"' : ""}` : this.choice
    })`;
  }

  /** @returns The provider, resolved on the first call. */
  resolve(): Promise<ChosenProvider> {
    return this.#chosen ??= this.#choose();
  }

  async #choose(): Promise<ChosenProvider> {
    // Only the provider asked for is probed ("cpu": nothing is opened).
    const chosen = await chooseProvider(this.ctx.runtime, this.choice).catch((e) => {
      this.#chosen = undefined; // ask again next time
      throw e;
    });
    this.ctx.session.provider = chosen.provider;
    if (chosen.nchwcBlock) setNchwcBlock(chosen.nchwcBlock);
    return chosen;
  }
}
