// SPDX-License-Identifier: GPL-2.0
//
// Error handling of the core: a [[nodiscard]] Result<T> holding either a T
// or an Errno, in the spirit of Zircon's zx::result.  Errno values are the
// VPD_E* constants of core.h (equal to the kernel's), and a Result maps 1:1
// to the ABI's `0 / -errno` convention through to_ret().

#ifndef VPD_CORE_RESULT_HPP
#define VPD_CORE_RESULT_HPP

#include <type_traits>

#include "vfio_pci_dmabuf/core.h"

namespace vpd {

enum class Errno : int {
  kPerm = VPD_EPERM,
  kTooBig = VPD_E2BIG,
  kNoMem = VPD_ENOMEM,
  kFault = VPD_EFAULT,
  kNoDev = VPD_ENODEV,
  kInval = VPD_EINVAL,
  kOverflow = VPD_EOVERFLOW,
};

// The ABI value of an error: -errno.
[[nodiscard]] constexpr int to_ret(Errno e) noexcept { return -static_cast<int>(e); }

// The error half of a Result, constructed with error(); converts to any
// Result<T>.
struct [[nodiscard]] Error {
  Errno code;
};

[[nodiscard]] constexpr Error error(Errno e) noexcept { return Error{e}; }

template <class T>
class [[nodiscard]] Result {
  static_assert(std::is_trivially_copyable_v<T>, "Result holds plain values");
  static_assert(std::is_default_constructible_v<T>, "Result holds plain values");

 public:
  using value_type = T;

  constexpr Result(T v) noexcept : err_(0), val_(v) {}             // NOLINT: implicit on purpose
  constexpr Result(Error e) noexcept : err_(static_cast<int>(e.code)), val_() {}  // NOLINT

  [[nodiscard]] constexpr bool is_ok() const noexcept { return err_ == 0; }
  [[nodiscard]] constexpr bool is_error() const noexcept { return err_ != 0; }
  // Precondition: is_error().
  [[nodiscard]] constexpr Errno error_value() const noexcept { return static_cast<Errno>(err_); }
  [[nodiscard]] constexpr Error take_error() const noexcept { return Error{error_value()}; }
  // Precondition: is_ok().
  [[nodiscard]] constexpr const T &value() const noexcept { return val_; }
  [[nodiscard]] constexpr const T &operator*() const noexcept { return val_; }
  [[nodiscard]] constexpr const T *operator->() const noexcept { return &val_; }

 private:
  int err_;  // 0 or a positive errno
  T val_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  constexpr Result() noexcept : err_(0) {}
  constexpr Result(Error e) noexcept : err_(static_cast<int>(e.code)) {}  // NOLINT

  [[nodiscard]] constexpr bool is_ok() const noexcept { return err_ == 0; }
  [[nodiscard]] constexpr bool is_error() const noexcept { return err_ != 0; }
  [[nodiscard]] constexpr Errno error_value() const noexcept { return static_cast<Errno>(err_); }
  [[nodiscard]] constexpr Error take_error() const noexcept { return Error{error_value()}; }

 private:
  int err_;
};

using Status = Result<void>;

[[nodiscard]] constexpr Status ok() noexcept { return Status(); }

// 0 or -errno.
[[nodiscard]] constexpr int to_ret(const Status &s) noexcept {
  return s.is_ok() ? 0 : to_ret(s.error_value());
}

}  // namespace vpd

#endif  // VPD_CORE_RESULT_HPP
