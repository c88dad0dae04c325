#include "../check.h"
int main(int argc, char **argv) { return nm_test_main(argc, argv); }
