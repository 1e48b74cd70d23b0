// Starts the Microsoft 365 Agents Playground headless.
// Its own CLI wrapper (cli.js) exits at once in a shell without a terminal; calling start()
// from the package's entry point keeps it running. Arguments are passed through, e.g.
//   node scripts/playground.js start -e http://127.0.0.1:3978/api/messages -c msteams -p 56150 --dt
// It reads .m365agentsplayground.yml from the working directory.
const path = require("path");

const entry = require.resolve("@microsoft/m365agentsplayground/dist/index.js", {
  paths: [path.join(__dirname, "..")],
});
process.argv = [process.argv[0], "agentsplayground", ...process.argv.slice(2)];
process.on("unhandledRejection", (error) => console.error("playground: unhandled rejection", error));
// It tries to open a browser; on a machine without one (CI, a server) that must not stop it.
process.on("uncaughtException", (error) => {
  if (error && error.code === "ENOENT" && String(error.path).includes("open")) {
    console.log("playground: no browser to open here; open the address above yourself");
    return;
  }
  console.error(error);
  process.exit(1);
});
require(entry).start();
