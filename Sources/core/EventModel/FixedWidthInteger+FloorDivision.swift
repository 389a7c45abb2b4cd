extension FixedWidthInteger where Self: SignedInteger {
    /// `self / divisor` rounded toward −∞ (Swift's `/` rounds toward zero), for a positive
    /// `divisor`: a time before 1970 falls into the window it is in, and keeps its order at a
    /// coarser precision.
    @inlinable
    public func floorDivided(by divisor: Self) -> Self {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// The largest multiple of a positive `step` not above `self`: rounds down onto the grid.
    @inlinable
    public func roundedDown(toMultipleOf step: Self) -> Self {
        floorDivided(by: step) * step
    }
}
