import { campaignTable, hostileAttempts, tryAttempt } from "./hostile-config";

/** Prints the bad-input campaign's table: per key and class, how many hostile values were refused and accepted. */
const started = Date.now();
const results = hostileAttempts().map((attempt) => ({ attempt, outcome: tryAttempt(attempt) }));
console.log(campaignTable(results));
const crashed = results.filter(({ outcome }) => outcome.kind === "crashed").length;
console.log(`\n${results.length} attempts in ${((Date.now() - started) / 1000).toFixed(1)} s; crashed: ${crashed}`);
