/**
 * Every `deno task` entry point answers `--help` with its usage (status 0) and an
 * unknown option with one `error:` line pointing to `--help` (status 2), not a stack
 * trace. Each runs as the user runs it: the task's `deno run` command and permissions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Tasks left out, with the reason. */
const LEFT_OUT: Record<string, string> = {
  "build:web": "examples/browser/build.ts takes no options and ignores them (to fix there)",
  "build:node": "is `deno bundle`, whose own errors these are",
  test: "is `deno test`",
  check: "is a chain of deno's checks",
};

/** The `deno run` arguments of each task that runs a script. */
async function scriptTasks(): Promise<[string, string[]][]> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  return Object.entries(config.tasks as Record<string, string | { command: string }>)
    .filter(([name]) => !(name in LEFT_OUT))
    .map(([name, task]) => {
      const [deno, run, ...args] = (typeof task === "string" ? task : task.command).split(/\s+/);
      assert.deepEqual([deno, run], ["deno", "run"], `task ${name} is not a deno run command`);
      return [name, args];
    });
}

async function runTask(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("every task prints its usage on --help and one error line on an unknown option", async (t) => {
  const tasks = await scriptTasks();
  assert.ok(tasks.length >= 10, `only ${tasks.length} tasks found`);
  for (const [name, args] of tasks) {
    await t.step(name, async () => {
      const help = await runTask([...args, "--help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /Usage: deno task \S+/);
      assert.match(help.stdout, /-h, --help +show this help/);
      const bogus = await runTask([...args, "--bogus"]);
      assert.equal(bogus.code, 2, bogus.stderr);
      assert.equal(bogus.stdout, "");
      assert.match(
        bogus.stderr,
        /^error: Cannot parse the command line: Unknown option '--bogus'[^\n]*; see --help\n$/,
      );
    });
  }
});
