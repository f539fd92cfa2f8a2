import type { AppConfigValues } from './config.schema';

/** The validated configuration, injected by class: `constructor(private readonly config: AppConfig)`. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class AppConfig {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface AppConfig extends AppConfigValues {}
