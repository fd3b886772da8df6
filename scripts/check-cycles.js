// Fails (exit 1) when any import cycle exists under src/ or relay/ (STYLE rule 9).
import { parseDependencyTree, parseCircular, prettyCircular } from 'dpdm';

const tree = await parseDependencyTree(['src/**/*.ts', 'relay/**/*.ts'], {
  transform: true,
  skipDynamicImports: false,
  tsconfig: 'tsconfig.json',
});
const cycles = parseCircular(tree);
if (cycles.length > 0) {
  console.error(`import cycles found:\n${prettyCircular(cycles)}`);
  process.exit(1);
}
console.log(`no import cycles (${Object.keys(tree).length} modules)`);
