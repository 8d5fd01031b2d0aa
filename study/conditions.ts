/** The three kinds of image of the paradigm. Its own module (no schema library) so browser bundles that need only the names stay small. */
export const CONDITIONS = ["regular", "AN", "AI"] as const;
export type Condition = (typeof CONDITIONS)[number];
