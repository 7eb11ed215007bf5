global using CimiGrains.Common;
global using CimiGrains.Gateway.Http;
global using CimiGrains.Gateway.Serialization;
