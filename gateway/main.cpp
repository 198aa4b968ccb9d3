// balied: the Balie gateway daemon. Usage:
//   balied --config FILE [--data-dir DIR] [--check-config]
//   balied --new-token NAME ROLE [INBOX...]   (prints a new token and its tokens-file entry)
#include "gateway/daemon.hpp"
#include "gateway/tokens.hpp"

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  std::optional<std::filesystem::path> config_file, data_dir;
  bool check_only = false;
  if (argc >= 4 && !std::strcmp(argv[1], "--new-token")) {
    try {
      auto const t = balie::gateway::make_token(argv[2], argv[3], std::vector<std::string>(argv + 4, argv + argc));
      std::cout << "Token (shown once; give it to " << argv[2] << " and store it nowhere else):\n  " << t.token
                << "\n\nAdd this entry to the tokens file, then send balied SIGHUP:\n" << t.entry.dump(2) << '\n';
      return 0;
    } catch (std::exception const& e) {
      std::cerr << "balied: " << e.what() << '\n';
      return 2;
    }
  }
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) config_file = argv[++i];
    else if (!std::strcmp(argv[i], "--data-dir") && i + 1 < argc) data_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--check-config")) check_only = true;
    else {
      std::cerr << "usage: balied --config FILE [--data-dir DIR] [--check-config]\n"
                   "       balied --new-token NAME staff|admin|system [INBOX...]\n";
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
