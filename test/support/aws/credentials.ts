/**
 * The test suite's AWS credentials: the only access key the local AWS-compatible server (test/support/aws-server.ts)
 * accepts, and the secrets vitest.config.ts gives the test Worker under these names. Nothing real: the server is on
 * loopback and no request of the suite leaves the machine.
 */
export const AWS_TEST_ACCESS_KEY_ID = "AKIAPORTICOTEST00001";
export const AWS_TEST_SECRET_ACCESS_KEY = "portico/test+secret/0123456789abcdefghij";
/** The account id in the server's ARNs and queue URLs. */
export const AWS_TEST_ACCOUNT = "111111111111";

/** The Worker secrets the tests' definitions name (vitest.config.ts binds them). */
export const AWS_TEST_SECRETS = {
  AWS_TEST_ACCESS_KEY_ID,
  AWS_TEST_SECRET_ACCESS_KEY,
  /** A secret the server does not know: signatures made with it must be refused. */
  AWS_TEST_WRONG_SECRET: "not-the-secret-the-server-knows",
};
