/**
 * Schema versions, the same rule for every database: a schema_migrations table holds the versions
 * applied; forward migrations (an ordered list, version k = entry k - 1) run at open in one
 * transaction; a database of a newer schema than this advsight knows is refused, never written.
 */
import { UserError } from "../common/errors.ts";

export function refuseNewerSchema(found: number, known: number, where: string): void {
  if (found > known) {
    throw new UserError(`${where} has schema version ${found}; this advsight knows up to ${known}: upgrade advsight (a newer advsight wrote to this database)`);
  }
}
