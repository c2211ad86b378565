import 'reflect-metadata';

// Handler results are checked against their schemas in tests: a mismatch fails loudly.
process.env.SWITCHBOARD_VALIDATE_RESULTS = '1';
