import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { UndercompleteAutoencoder } from "../mod.ts";
import { DATA_DIR, mnistData } from "./helpers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

async function run(command: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, cwd: root }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `${command} ${args.join(" ")} failed:\n${text.decode(stderr)}`);
  return text.decode(stdout);
}

Deno.test("Node 20 runs the npm build and trains to the same losses as Deno", async () => {
  await run(Deno.execPath(), ["task", "build:node"]);
  const args = ["--data", DATA_DIR, "--seed", "11", "--limit", "3000", "--epochs", "2"];
  const fromNode = JSON.parse(
    (await run("node", ["examples/node/train.mjs", ...args])).trim().split("\n").at(-1)!,
  );

  const { train, test } = await mnistData();
  const model = new UndercompleteAutoencoder({ seed: 11, threads: 1 });
  const history = await model.fit(train.images.subarray(0, 3000 * 784), {
    epochs: 2,
    validationData: test.images.subarray(0, 3000 * 784),
  });
  assert.deepEqual(fromNode, { loss: history.loss, valLoss: history.valLoss });
  await model.dispose();
});
