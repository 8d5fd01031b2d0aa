// Rewrites docs/records.md from the record contract (study/record-fields.ts).
import { join } from "node:path";
import { writeFileAtomic } from "../common/atomic-write-node.ts";
import { PACKAGE_ROOT } from "../common/package-root-node.ts";
import { recordTableMarkdown } from "../study/record-table.ts";

const path = join(PACKAGE_ROOT, "docs/records.md");
writeFileAtomic(path, recordTableMarkdown());
console.log(`wrote ${path}`);
