/** The scripted fake Anthropic Messages server; see fake-provider.ts for how to script it. */
export { startFakeAnthropic, type FakeProvider, type FakeOptions, type Step } from './fake-provider.js';
