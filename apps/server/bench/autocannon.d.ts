// autocannon ships no types; the benchmark uses a handful of fields of its result.
declare module "autocannon";
