// SPDX-License-Identifier: GPL-2.0
//
// Strong unit types of the core.
//
// The C ABI (core.h) flattens everything to `unsigned long long`; inside the
// core every quantity carries its unit in its type so that a buffer offset
// cannot be added to a physical address, a page count cannot be used as a
// byte count, and so on.  Only the combinations listed below compile, every
// conversion is an explicit, named function, and every arithmetic step that
// can overflow is checked (__builtin_*_overflow) and reports it through
// Maybe.  Everything is constexpr and header-only; nothing here needs
// a runtime library.

#ifndef VPD_CORE_TYPES_HPP
#define VPD_CORE_TYPES_HPP

#include <climits>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "vfio_pci_dmabuf/core.h"

namespace vpd {

// The ABI's integer type; the same width as std::uint64_t but the type the
// C structures use, so no conversion is needed at the boundary.
using u64 = unsigned long long;
static_assert(sizeof(u64) * CHAR_BIT == 64, "64-bit unsigned long long");

inline constexpr unsigned kPageShift = VPD_PAGE_SHIFT;
inline constexpr u64 kPageSize = VPD_PAGE_SIZE;
inline constexpr u64 kPageMask = kPageSize - 1;

// A value of unit `Tag`.  No implicit conversion in or out, no arithmetic of
// its own: the operations are the free functions below, defined only for the
// unit combinations that make sense.
template <class Tag>
class Strong {
 public:
  using Rep = u64;

  constexpr Strong() noexcept = default;
  constexpr explicit Strong(Rep v) noexcept : v_(v) {}

  [[nodiscard]] constexpr Rep raw() const noexcept { return v_; }

  friend constexpr bool operator==(Strong a, Strong b) noexcept { return a.v_ == b.v_; }
  friend constexpr bool operator!=(Strong a, Strong b) noexcept { return a.v_ != b.v_; }
  friend constexpr bool operator<(Strong a, Strong b) noexcept { return a.v_ < b.v_; }
  friend constexpr bool operator<=(Strong a, Strong b) noexcept { return a.v_ <= b.v_; }
  friend constexpr bool operator>(Strong a, Strong b) noexcept { return a.v_ > b.v_; }
  friend constexpr bool operator>=(Strong a, Strong b) noexcept { return a.v_ >= b.v_; }

 private:
  Rep v_ = 0;
};

struct BufOffsetTag {};
struct ByteLenTag {};
struct PhysAddrTag {};
struct VirtAddrTag {};
struct PfnTag {};
struct PageCountTag {};
struct PgOffTag {};

using BufOffset = Strong<BufOffsetTag>;  // byte offset inside a buffer
using ByteLen = Strong<ByteLenTag>;      // a number of bytes
using PhysAddr = Strong<PhysAddrTag>;    // physical byte address
using VirtAddr = Strong<VirtAddrTag>;    // user virtual byte address
using Pfn = Strong<PfnTag>;              // page frame number
using PageCount = Strong<PageCountTag>;  // a number of pages
using PgOff = Strong<PgOffTag>;          // a page index (vm_pgoff)

// An optional value: either a T or none.  Deliberately simpler than
// std::optional (a plain pair of fields, both always initialised) so that
// the compiler keeps it in registers on the fault path.
struct NoneT {
  explicit constexpr NoneT(int) noexcept {}
};
inline constexpr NoneT none{0};

template <class T>
class [[nodiscard]] Maybe {
 public:
  using value_type = T;

  constexpr Maybe() noexcept : v_(), ok_(false) {}
  constexpr Maybe(NoneT) noexcept : v_(), ok_(false) {}  // NOLINT: implicit on purpose
  constexpr Maybe(T v) noexcept : v_(v), ok_(true) {}    // NOLINT: implicit on purpose

  [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return ok_; }
  // Precondition: has_value(), established by a check just before; a value
  // that only earlier reasoning guarantees is taken with Preconditions.
  [[nodiscard]] constexpr const T &operator*() const noexcept { return v_; }
  [[nodiscard]] constexpr const T *operator->() const noexcept { return &v_; }
  [[nodiscard]] constexpr T value_or(T other) const noexcept { return ok_ ? v_ : other; }

 private:
  T v_;
  bool ok_;
};

// ---------------------------------------------------------------------------
// Checked preconditions.
//
// Some Maybe results cannot be empty: the checks before them rule it out
// (a - b once b <= a is known, ...).  Their values are taken through a
// Preconditions object, never with operator*, so that a bug breaking one
// cannot turn into a wrapped address:
//
//  - hosted builds (unit tests, fuzzer, benchmark) trap on the spot:
//    __builtin_trap(), SIGILL, a crash to GoogleTest death tests, the
//    sanitizers and libFuzzer alike;
//  - the kernel build (VPD_IN_KERNEL) records it and goes on with a zero
//    value; the function checks held() before it returns a value and
//    returns an error instead (-EFAULT from a lookup: SIGBUS; -EINVAL or
//    -EOVERFLOW from a request).  No trap, no symbol, no section.
//
// must() is the form for constant expressions, which cannot return an
// error: an empty Maybe there does not compile (and would trap at run time,
// in every build).

enum class OnBroken { kTrap, kReport };
#ifdef VPD_IN_KERNEL
inline constexpr OnBroken kOnBroken = OnBroken::kReport;
#else
inline constexpr OnBroken kOnBroken = OnBroken::kTrap;
#endif

template <OnBroken kMode>
class BasicPreconditions {
 public:
  // m's value.  Precondition: m.has_value().
  template <class T>
  [[nodiscard]] constexpr T value(const Maybe<T> &m) noexcept {
    if (__builtin_expect(m.has_value(), 1))
      return *m;
    broken();
    return T();
  }

  // False once a value() was taken from an empty Maybe (kReport only).
  [[nodiscard]] constexpr bool held() const noexcept { return held_; }

 private:
  constexpr void broken() noexcept {
    if constexpr (kMode == OnBroken::kTrap)
      __builtin_trap();
    held_ = false;
  }

  bool held_ = true;
};

using Preconditions = BasicPreconditions<kOnBroken>;

template <class T>
[[nodiscard]] constexpr T must(const Maybe<T> &m) noexcept {
  if (!m.has_value())
    __builtin_trap();
  return *m;
}

// The order of a page (log2 of its size in base pages), 0..VPD_MAX_ORDER.
// Only constructible through from(), which rejects larger orders.
class Order {
 public:
  static constexpr unsigned kMax = VPD_MAX_ORDER;

  // The base page.
  constexpr Order() noexcept : v_(0) {}

  [[nodiscard]] static constexpr Maybe<Order> from(unsigned v) noexcept {
    if (v > kMax)
      return none;
    return Order(v);
  }

  [[nodiscard]] constexpr unsigned raw() const noexcept { return v_; }
  [[nodiscard]] constexpr bool is_base() const noexcept { return v_ == 0; }
  [[nodiscard]] constexpr PageCount pages() const noexcept { return PageCount(1ULL << v_); }
  // Cannot overflow: kMax + kPageShift < 64.
  [[nodiscard]] constexpr ByteLen bytes() const noexcept { return ByteLen(kPageSize << v_); }

  friend constexpr bool operator==(Order a, Order b) noexcept { return a.v_ == b.v_; }
  friend constexpr bool operator!=(Order a, Order b) noexcept { return a.v_ != b.v_; }

 private:
  constexpr explicit Order(unsigned v) noexcept : v_(v) {}
  unsigned v_;
};
static_assert(Order::kMax + kPageShift < 64, "order sizes fit in 64 bits");

inline constexpr Order kPmdOrder = must(Order::from(VPD_PMD_ORDER));
inline constexpr Order kPudOrder = must(Order::from(VPD_PUD_ORDER));

// ---------------------------------------------------------------------------
// Arithmetic.  AddTraits<L, R>::type is the unit of L + R, SubTraits<L, R> the
// unit of L - R; a missing specialisation makes the operation ill-formed.

template <class L, class R>
struct AddTraits {};
template <class L, class R>
struct SubTraits {};

template <> struct AddTraits<BufOffset, ByteLen> { using type = BufOffset; };
template <> struct AddTraits<PhysAddr, ByteLen> { using type = PhysAddr; };
template <> struct AddTraits<VirtAddr, ByteLen> { using type = VirtAddr; };
template <> struct AddTraits<ByteLen, ByteLen> { using type = ByteLen; };
template <> struct AddTraits<Pfn, PageCount> { using type = Pfn; };
template <> struct AddTraits<PageCount, PageCount> { using type = PageCount; };
template <> struct AddTraits<PgOff, PageCount> { using type = PgOff; };

template <> struct SubTraits<BufOffset, BufOffset> { using type = ByteLen; };
template <> struct SubTraits<PhysAddr, PhysAddr> { using type = ByteLen; };
template <> struct SubTraits<VirtAddr, VirtAddr> { using type = ByteLen; };
template <> struct SubTraits<ByteLen, ByteLen> { using type = ByteLen; };
template <> struct SubTraits<VirtAddr, ByteLen> { using type = VirtAddr; };
template <> struct SubTraits<Pfn, PageCount> { using type = Pfn; };
template <> struct SubTraits<PgOff, PgOff> { using type = PageCount; };

template <class L, class R>
using add_t = typename AddTraits<L, R>::type;
template <class L, class R>
using sub_t = typename SubTraits<L, R>::type;

// a + b, or none if it does not fit in 64 bits.
template <class L, class R, class Out = add_t<L, R>>
[[nodiscard]] constexpr Maybe<Out> checked_add(L a, R b) noexcept {
  u64 r = 0;
  if (__builtin_add_overflow(a.raw(), b.raw(), &r))
    return none;
  return Out(r);
}

// a - b, or none if b > a.
template <class L, class R, class Out = sub_t<L, R>>
[[nodiscard]] constexpr Maybe<Out> checked_sub(L a, R b) noexcept {
  u64 r = 0;
  if (__builtin_sub_overflow(a.raw(), b.raw(), &r))
    return none;
  return Out(r);
}

// Detection helpers (used by the compile-time tests).
template <class L, class R, class = void>
struct can_add : std::false_type {};
template <class L, class R>
struct can_add<L, R, std::void_t<add_t<L, R>>> : std::true_type {};
template <class L, class R, class = void>
struct can_sub : std::false_type {};
template <class L, class R>
struct can_sub<L, R, std::void_t<sub_t<L, R>>> : std::true_type {};

template <class T>
inline constexpr bool is_strong_v = false;
template <class Tag>
inline constexpr bool is_strong_v<Strong<Tag>> = true;

template <class T>
[[nodiscard]] constexpr T min(T a, T b) noexcept {
  return b < a ? b : a;
}

// ---------------------------------------------------------------------------
// Conversions.  Each one names the units it converts between.

// Units that are byte quantities and can be page-aligned.
template <class T>
inline constexpr bool is_byte_unit_v =
    std::is_same_v<T, BufOffset> || std::is_same_v<T, ByteLen> ||
    std::is_same_v<T, PhysAddr> || std::is_same_v<T, VirtAddr>;

template <class T, class = std::enable_if_t<is_byte_unit_v<T>>>
[[nodiscard]] constexpr bool is_page_aligned(T v) noexcept {
  return (v.raw() & kPageMask) == 0;
}

// True if v is a multiple of `len`, a power of two.
template <class T, class = std::enable_if_t<is_byte_unit_v<T>>>
[[nodiscard]] constexpr bool is_aligned(T v, ByteLen pow2) noexcept {
  return (v.raw() & (pow2.raw() - 1)) == 0;
}

// v rounded down to a multiple of `pow2`, a power of two.
template <class T, class = std::enable_if_t<is_byte_unit_v<T>>>
[[nodiscard]] constexpr T align_down(T v, ByteLen pow2) noexcept {
  return T(v.raw() & ~(pow2.raw() - 1));
}

template <class T, class = std::enable_if_t<is_byte_unit_v<T>>>
[[nodiscard]] constexpr T page_align_down(T v) noexcept {
  return T(v.raw() & ~kPageMask);
}

// v rounded up to a page boundary, or none if that overflows.
template <class T, class = std::enable_if_t<is_byte_unit_v<T>>>
[[nodiscard]] constexpr Maybe<T> page_align_up(T v) noexcept {
  u64 r = 0;
  if (__builtin_add_overflow(v.raw(), kPageMask, &r))
    return none;
  return T(r & ~kPageMask);
}

// The page frame holding physical address `pa` (truncating).
[[nodiscard]] constexpr Pfn pfn_of(PhysAddr pa) noexcept {
  return Pfn(pa.raw() >> kPageShift);
}

[[nodiscard]] constexpr bool is_aligned(Pfn pfn, Order order) noexcept {
  return (pfn.raw() & (order.pages().raw() - 1)) == 0;
}

// Whole pages in a byte count (truncating).
[[nodiscard]] constexpr PageCount pages_in(ByteLen len) noexcept {
  return PageCount(len.raw() >> kPageShift);
}

// The bytes of `n` pages, or none if that does not fit in 64 bits.
[[nodiscard]] constexpr Maybe<ByteLen> bytes_of(PageCount n) noexcept {
  u64 r = 0;
  if (__builtin_mul_overflow(n.raw(), kPageSize, &r))
    return none;
  return ByteLen(r);
}

// The offset `len` bytes past the start of a buffer (a prefix length as an
// offset), and back.
[[nodiscard]] constexpr BufOffset offset_after(ByteLen len) noexcept { return BufOffset(len.raw()); }
[[nodiscard]] constexpr ByteLen length_before(BufOffset off) noexcept { return ByteLen(off.raw()); }

}  // namespace vpd

#endif  // VPD_CORE_TYPES_HPP
