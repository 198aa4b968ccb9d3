// balied: the Balie gateway daemon. Usage:
//   balied --config FILE [--data-dir DIR] [--check-config]
#include "gateway/daemon.hpp"

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  std::optional<std::filesystem::path> config_file, data_dir;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) config_file = argv[++i];
    else if (!std::strcmp(argv[i], "--data-dir") && i + 1 < argc) data_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--check-config")) check_only = true;
    else {
      std::cerr << "usage: balied --config FILE [--data-dir DIR] [--check-config]\n";
      return 2;
    }
  }
  if (!config_file) {
    std::cerr << "balied: --config FILE is required\n";
    return 2;
  }
  try {
    auto config = balie::gateway::load_config(*config_file, data_dir);
    balie::gateway::daemon d(std::move(config));
    if (check_only) {
      std::cout << "balied: configuration is valid\n";
      return 0;
    }
    return d.run();
  } catch (std::exception const& e) {
    std::cerr << "balied: " << e.what() << '\n';
    return 2;
  }
}
