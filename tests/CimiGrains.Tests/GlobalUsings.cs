global using CimiGrains.Common;
global using CimiGrains.Tests.Infrastructure;
global using Xunit;
