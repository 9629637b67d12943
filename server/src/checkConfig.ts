// `pnpm start` runs this before it builds the console, so a bad setting is reported at once
// (exit code 2, one line per bad variable) rather than after the build.
import { loadConfigOrExit } from './config/config.ts';

loadConfigOrExit();
