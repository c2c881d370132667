/* placeholder until the CLI is written */
int main(void) { return 2; }
