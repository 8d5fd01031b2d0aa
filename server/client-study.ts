/** What the participant's page gets: the study without its completion code, the set without its reports. */
import type { RegisteredStudy } from "./studies.ts";
import type { ClientStudy } from "../study/wire.ts";

export function clientStudy({ config, stimuli }: RegisteredStudy): ClientStudy {
  const { platform: _secret, ...study } = config;
  const { set } = stimuli;
  return {
    study,
    stimulusSet: {
      name: set.name,
      baseUrl: `/stimuli/${set.name}/`,
      categories: set.categories.map((c) => ({ id: c.id, label: c.label })),
      items: set.items.map((i) => ({
        id: i.id,
        source: i.source,
        condition: i.condition,
        category: i.category,
        ...(i.cnnTarget && { cnnTarget: i.cnnTarget }),
        file: i.file,
      })),
    },
  };
}
