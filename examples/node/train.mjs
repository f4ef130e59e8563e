// Trains the undercomplete autoencoder from Node 20 with the npm build of the
// library (`deno task build:node` writes dist/node/mod.js), and prints the losses
// as JSON. tests/node_test.ts runs it and compares with the same run in Deno.
//
// Usage: node examples/node/train.mjs --data DIR [--seed S] [--limit N] [--epochs N]
import { parseArgs } from "node:util";
import { loadMnist, UndercompleteAutoencoder } from "../../dist/node/mod.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    seed: { type: "string", default: "0" },
    limit: { type: "string", default: "60000" },
    epochs: { type: "string", default: "2" },
  },
});
const { train, test } = await loadMnist({ dir: values.data });
const limit = Number(values.limit);
const model = new UndercompleteAutoencoder({ seed: Number(values.seed), threads: 1 });
const history = await model.fit(train.images.subarray(0, limit * 784), {
  epochs: Number(values.epochs),
  validationData: test.images.subarray(0, Math.min(limit, 10000) * 784),
});
console.log(JSON.stringify({ loss: history.loss, valLoss: history.valLoss }));
