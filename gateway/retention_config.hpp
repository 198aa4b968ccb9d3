#pragma once
// How long Balie keeps what it holds. A closed case's term comes from its
// class (Selectielijst gemeenten 2020: a plain request for information one
// year, a report or complaint five), chosen by topic, then by inbox, then the
// default; records staff may choose another class with a reason. Operational
// data has its own terms. Whether a class may be erased on a resident's
// request (AVG article 17) is part of the class: a class the Archiefwet keeps
// is not.

#include "calendar/period.hpp"
#include "channels/config_reader.hpp"
#include "queue/retention_plan.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace balie::gateway {

struct retention_class {
  std::string id;
  std::string label;  ///< shown to records staff and on the destruction list's export
  calendar::period term;
  bool erasable_on_request = false;
  bool operator==(retention_class const&) const = default;
};

struct retention_config {
  std::vector<retention_class> classes;
  std::string default_class;
  std::map<std::string, std::string> by_inbox;
  std::map<std::string, std::string> by_topic;
  std::chrono::seconds check_every{3600};  ///< how often the destruction job looks for cases past their term
  calendar::period spool_done{0, 0, 30};
  calendar::period spool_failed{0, 0, 90};
  calendar::period events{0, 0, 30};
  calendar::period audit{2, 0, 0};
  calendar::period destruction_list{10, 0, 0};
  bool operator==(retention_config const&) const = default;

  retention_class const* find(std::string_view id) const;
  /// The class a case has, or would get if it closed now: the one chosen (if it still exists), else by topic, inbox or default.
  std::string class_for(std::string const& chosen, std::string const& topic, std::string const& inbox) const;
  /// The plan for a case closed at `closed`: per class, when it is destroyed.
  queue::retention_plan plan(timestamp closed) const;
};

/// The defaults: a request for information 1 year (erasable on request), a report 5 years, a complaint 5 years.
retention_config default_retention();
/// Reads /retention; inbox ids must be known, classes referred to must exist.
retention_config read_retention(channels::object_reader&, std::set<std::string> const& inbox_ids);

} // namespace balie::gateway
