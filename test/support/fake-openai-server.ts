/** The scripted fake OpenAI chat-completions server; see fake-provider.ts for how to script it. */
export { startFakeOpenAI, type FakeProvider, type FakeOptions, type Step } from './fake-provider.js';
