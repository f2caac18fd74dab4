// Run before `npm start` (prestart) and `npm run signout` (presignout, given `signout`), in plain
// JavaScript so that any Node can run it: the app's TypeScript runs on Node's type stripping, which
// is on by default from Node 22.18 (and in every Node 24). An older Node would fail with "Unknown
// file extension .ts"; say what is needed instead.
const [major, minor] = process.versions.node.split('.').map(Number);
const what = process.argv[2] === 'signout' ? 'Cannot run `npm run signout`' : 'Cannot start';
if (major < 22 || (major === 22 && minor < 18) || major === 23) {
  process.stderr.write(
    `${what}: this app needs Node 24 (LTS) or Node 22.18+, and this is Node ${process.versions.node} (${process.execPath}).\n` +
      'Install a supported Node, or run `npm ci` (with devDependencies), which brings Node 24 into node_modules/.bin for npm scripts.\n',
  );
  process.exit(1);
}
