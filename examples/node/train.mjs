// Trains the undercomplete (or conv) autoencoder from Node 20 with the npm build of
// the library (`deno task build:node` writes dist/node/mod.js), prints the losses as
// JSON and, with --save, saves the model. tests/node_test.ts runs it and compares
// the losses and the saved model's bytes with the same run in Deno.
//
// Usage: node examples/node/train.mjs --data DIR [--model undercomplete|conv] [--seed S]
//        [--limit N] [--epochs N] [--save FILE]
import { parseArgs } from "node:util";
import { ConvAutoencoder, loadMnist, UndercompleteAutoencoder } from "../../dist/node/mod.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    model: { type: "string", default: "undercomplete" },
    seed: { type: "string", default: "0" },
    limit: { type: "string", default: "60000" },
    epochs: { type: "string", default: "2" },
    save: { type: "string" },
  },
});
const { train, test } = await loadMnist({ dir: values.data });
const limit = Number(values.limit);
const options = { seed: Number(values.seed), threads: 1 };
const model = values.model === "conv"
  ? new ConvAutoencoder(options)
  : new UndercompleteAutoencoder(options);
const history = await model.fit(train.images.subarray(0, limit * 784), {
  epochs: Number(values.epochs),
  validationData: test.images.subarray(0, Math.min(limit, 10000) * 784),
});
if (values.save) await model.save(values.save);
await model.dispose();
console.log(JSON.stringify({ loss: history.loss, valLoss: history.valLoss }));
